print("a4ps-scripted-server: not yet built")
