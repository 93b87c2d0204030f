print("a4ps-bench: not yet built")
