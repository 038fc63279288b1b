// cap: capabilities and ports from the command line.
print("cap: not built yet")
