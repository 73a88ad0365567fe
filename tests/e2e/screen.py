"""Pictures of the window, taken from the X server with ImageMagick's `import`.
WebKitWebDriver's own screenshots never answer when the webview paints without GPU
compositing, as Kanka Link's does (desktop.rs)."""

import subprocess


def save_picture(rect: dict, path):
    """Saves what the X server shows in `rect` (x, y, width and height, as WebDriver's window
    rect gives them) as a PNG."""
    area = f"{rect['width']}x{rect['height']}+{rect['x']}+{rect['y']}"
    subprocess.run(["import", "-silent", "-window", "root", "-crop", area, "+repage", f"png:{path}"],
                   check=True, timeout=30)
