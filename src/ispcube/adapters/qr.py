"""QR codes as images a document embeds (the RG 4892 QR of an authorized invoice).

segno draws the code; the image is a PNG `data:` URI, so the PDF renderer reads nothing from
outside (see adapters/pdf.py). segno is imported here only.
"""


def qr_png_data_uri(text: str, scale: int = 4) -> str:
    """TEXT as a QR code (error correction M, with its quiet zone), a PNG data: URI."""
    import segno
    return str(segno.make(text, error="m", micro=False).png_data_uri(scale=scale, border=4))
