"""The regular expressions of the analysis (scam_reports.sql, timeline.sql), bound as parameters
so that both engines read them exactly as written here: DuckDB takes a text literal verbatim,
Spark would unescape its backslashes. DuckDB's RE2 and Spark's Java regexes read them alike."""

# What separates the tokens of an event's text (spaces and punctuation, ASCII or CJK): an id
# named in a text is a whole token.
TOKEN_SEPARATORS = r"""[\s,;:!?()<>\[\]{}"'“”‘’（）【】「」『』，。；：！？、]+"""
# A host name (the domains of a scam message).
DOMAIN = r"(?i)\b(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}\b"
# A quoted phrase of 2 to 80 characters (group 1), its opening quote not inside a word.
PHRASE = r"""(?:^|[^A-Za-z])['“"「『]([^'”"」』]{2,80})['”"」』]"""

PARAMS = {"token_separators": TOKEN_SEPARATORS, "domain_pattern": DOMAIN, "phrase_pattern": PHRASE}
