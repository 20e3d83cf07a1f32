#!/usr/bin/env python3
"""Turns a `tmux capture-pane -e -p` dump (text with SGR escapes) into an SVG picture.

Usage: ansi2svg.py COLS ROWS < capture > out.svg
Handles the SGR codes modlens's TUI emits: reset, bold, dim, reverse, and the 16 basic
foreground and background colours (plus 256-colour and RGB forms, approximated).
"""
import html
import re
import sys

PALETTE = {
    30: "#1e1e1e", 31: "#e05555", 32: "#4fb04f", 33: "#d0a030", 34: "#5080e0", 35: "#c060c0",
    36: "#40b0c0", 37: "#c8c8c8", 90: "#707070", 91: "#ff7070", 92: "#70d070", 93: "#f0c050",
    94: "#70a0ff", 95: "#e080e0", 96: "#60d0e0", 97: "#ffffff",
}
FG, BG = "#d8d8d8", "#1b1d23"
CW, CH = 8.4, 17


def parse(text, cols, rows):
    cells = []
    state = {"fg": None, "bg": None, "bold": False, "dim": False, "rev": False}
    for line in text.split("\n")[:rows]:
        row = []
        for part in re.split(r"(\x1b\[[0-9;]*m)", line):
            if part.startswith("\x1b["):
                codes = [int(c) if c else 0 for c in part[2:-1].split(";")] or [0]
                i = 0
                while i < len(codes):
                    c = codes[i]
                    if c == 0:
                        state = {"fg": None, "bg": None, "bold": False, "dim": False, "rev": False}
                    elif c == 1:
                        state["bold"] = True
                    elif c == 2:
                        state["dim"] = True
                    elif c == 7:
                        state["rev"] = True
                    elif c in (22,):
                        state["bold"] = state["dim"] = False
                    elif c == 27:
                        state["rev"] = False
                    elif 30 <= c <= 37 or 90 <= c <= 97:
                        state["fg"] = PALETTE[c]
                    elif 40 <= c <= 47 or 100 <= c <= 107:
                        state["bg"] = PALETTE[c - 10]
                    elif c == 39:
                        state["fg"] = None
                    elif c == 49:
                        state["bg"] = None
                    elif c in (38, 48) and i + 1 < len(codes):
                        key = "fg" if c == 38 else "bg"
                        if codes[i + 1] == 5 and i + 2 < len(codes):
                            n = codes[i + 2]
                            state[key] = PALETTE.get(30 + n if n < 8 else 82 + n, FG)
                            i += 2
                        elif codes[i + 1] == 2 and i + 4 < len(codes):
                            state[key] = "#%02x%02x%02x" % tuple(codes[i + 2:i + 5])
                            i += 4
                    i += 1
            else:
                for ch in part:
                    row.append((ch, dict(state)))
        cells.append(row[:cols])
    return cells


def render(cells, cols, rows):
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{cols * CW + 20:.0f}" height="{rows * CH + 20}" '
        f'font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="14">',
        f'<rect width="100%" height="100%" rx="6" fill="{BG}"/>',
    ]
    for y, row in enumerate(cells):
        for x, (ch, st) in enumerate(row):
            fg, bg = st["fg"] or FG, st["bg"]
            if st["rev"]:
                fg, bg = (st["bg"] or BG), (st["fg"] or FG)
            px, py = 10 + x * CW, 10 + y * CH
            if bg:
                out.append(f'<rect x="{px:.1f}" y="{py}" width="{CW + 0.2:.1f}" height="{CH}" fill="{bg}"/>')
            if ch.strip():
                attrs = f'fill="{fg}"'
                if st["bold"]:
                    attrs += ' font-weight="bold"'
                if st["dim"]:
                    attrs += ' opacity="0.6"'
                out.append(f'<text x="{px:.1f}" y="{py + 13}" {attrs}>{html.escape(ch)}</text>')
    out.append("</svg>")
    return "\n".join(out)


def main():
    cols, rows = int(sys.argv[1]), int(sys.argv[2])
    print(render(parse(sys.stdin.read(), cols, rows), cols, rows))


if __name__ == "__main__":
    main()
