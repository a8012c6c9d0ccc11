"""Guardrails: which rule would have stopped the incident, and whether a change may go live.

    rules.py    rule kinds (one SQL file each, analyzer/sql/guardrails/rules/) and rules files
    replay.py   `analyzer replay`: every rule over the analysed payments and changes, and the
                cheapest set that would have prevented most of the excess
    lint.py     `analyzer lint-change`: a proposed config change against the rules that act
                before going live, the campaign's history and a what-if price of its payments

The default rule set ships as default_rules.toml beside this file.
"""
