"""Strings from results files, made safe to print on a terminal.

A case, parameter, metric, variant or host name comes from a file anybody
may have written: `ESC]0;...BEL` retitles the window, `ESC[2J` clears the
screen, a newline forges a table row.  term() writes every control
character (C0, DEL, C1), every lone surrogate (which cannot even be
encoded) and the bidirectional overrides as a visible escape, so the text
shows what the file holds and does nothing else.
"""

import re

_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff"
                     "\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(m):
    o = ord(m.group())
    return "\\x%02x" % o if o < 0x100 else "\\u%04x" % o


def term(s):
    """One line of text with every unsafe character escaped."""
    return _UNSAFE.sub(_escape, str(s))


def term_lines(s):
    """term() for text we put together ourselves: keeps its newlines."""
    return "\n".join(term(line) for line in str(s).split("\n"))
