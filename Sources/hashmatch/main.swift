print("hashmatch")
