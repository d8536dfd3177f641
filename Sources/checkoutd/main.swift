print("checkoutd: not yet wired")
