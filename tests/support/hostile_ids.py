"""Student ids a hostile account may choose, each for a door that must refuse it (collect, the zip, the CLI)."""

HOSTILE_IDS = [
    '=HYPERLINK("http:evil","click")',  # a formula
    "<img src=x onerror=alert(1)>",  # markup
    "ann\r" + " " * 20 + "bob 18 of 18",  # a carriage return that rewrites the line
    "\x1b[2J\x1b[1;1Hann",  # terminal escape codes
    "$(touch PWNED)",  # a shell expansion
    "-rf",  # an option
    "..",
    "ann\u202etxt.exe",  # a bidi override
    "аnn",  # Cyrillic а: a look-alike of ann
]
