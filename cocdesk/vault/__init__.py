"""Cryptography (PyNaCl only): key derivation, member keys, case keys, sealing, blind index."""
