"""The kinds of ledger entry (L1-L3): what each line of a client's running account is.

A `StrEnum`, so a kind compares equal to, and is stored as, the word it always was.
"""

from enum import StrEnum


class EntryKind(StrEnum):
    INVOICE = "invoice"      # billing (I1), numbered per company
    DX = "dx"                # a debit note: raises the balance
    CX = "cx"                # a credit note: lowers it
    RECEIPT = "receipt"      # a payment
    REVERSAL = "reversal"    # annuls an entry (its amount, the other way)
    OPENING = "opening"      # the balance brought over from another system
