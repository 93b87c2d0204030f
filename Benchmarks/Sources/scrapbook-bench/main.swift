print("scrapbook-bench: not yet built")
