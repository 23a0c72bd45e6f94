"""Fiscal invoices (I1-I8): each invoice's fiscal document, written by billing through the
fiscal driver in use, authorized by the tax authority, listed and printed."""
