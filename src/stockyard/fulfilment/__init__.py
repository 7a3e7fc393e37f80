"""Fulfilment: shipping configuration now; picking, packing and the rate engine come later."""
