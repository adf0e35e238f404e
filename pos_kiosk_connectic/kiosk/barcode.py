"""The kiosk barcode (PK-7) as a vector image (plain Python, no Odoo import).

Odoo's `barcode` widget draws a 600x80 px raster stretched to the printed width: about 0.17 mm per
module, blurred by the resampling, which a kiosk scanner (≈200 dpi) cannot read. Here every bar is a
rectangle on a grid of whole modules, so the PDF keeps sharp edges at any resolution, and the printed
size follows from the module width chosen below.
"""
import base64

from reportlab.graphics.barcode.code128 import Code128

# 0.40 mm per module in CSS units: wkhtmltopdf prints Odoo's reports at about 0.8 of their CSS size
# (its dpi and zoom settings), so the printed module is about 0.32 mm, above the 0.25 mm a 200 dpi
# scanner needs (≈2.5 pixels per module); a typical text (*ENTITY*REF*AMOUNT*, about 300 modules)
# still prints about 10 cm wide. tests/test_barcode_scan.py measures the module in the real PDF.
MODULE_MM = 0.40
# The symbology asks for at least 10 modules of white on each side, where the scanner finds the start.
QUIET_MODULES = 10
HEIGHT_MM = 13.0


def code128_modules(text):
    """The bars of the Code 128 symbol of `text` as (start, width) pairs, in modules from the first
    bar, and the symbol's total width in modules (quiet zones excluded)."""
    symbol = Code128(text)
    symbol.validate()
    symbol.encode()
    symbol.decompose()
    # reportlab's decomposed form: one letter per element, upper case a bar, lower case a space,
    # a/b/c/d for 1 to 4 modules
    bars, position = [], 0
    for element in symbol.decomposed:
        width = "abcd".index(element.lower()) + 1
        if element.isupper():
            bars.append((position, width))
        position += width
    return bars, position


def code128_svg(text, module_mm=MODULE_MM, height_mm=HEIGHT_MM, quiet=QUIET_MODULES):
    """(svg text, width in mm, height in mm) of the Code 128 symbol of `text`, white quiet zones included."""
    bars, symbol_width = code128_modules(text)
    total = symbol_width + 2 * quiet
    rects = "".join(f'<rect x="{quiet + start}" width="{width}" height="1"/>' for start, width in bars)
    width_mm = round(total * module_mm, 2)
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {total} 1" preserveAspectRatio="none" '
        f'width="{width_mm}mm" height="{height_mm}mm" shape-rendering="crispEdges">'
        f'<rect width="{total}" height="1" fill="#fff"/><g fill="#000">{rects}</g></svg>'
    )
    return svg, width_mm, height_mm


def code128_img_attributes(text):
    """src and style of an <img> showing the barcode at its true printed size."""
    svg, width_mm, height_mm = code128_svg(text)
    return {
        "src": "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode(),
        "style": f"width:{width_mm}mm;height:{height_mm}mm;",
    }
