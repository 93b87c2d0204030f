print("a4ps")
