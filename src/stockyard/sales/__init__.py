"""Sales: channels (sites) now; customers, carts and orders come with later issues."""
