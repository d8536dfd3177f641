print("stripe-sim: not yet wired")
