print("inference-bench: not yet built")
