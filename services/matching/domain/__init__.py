"""Matching's pure logic: the vectorised profile index, the scoring of pairs with reasons,
and coalitions that cover a need. No I/O here."""
