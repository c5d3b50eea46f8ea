"""Commitments' pure domain: inputs and their rules, health arithmetic, meeting times,
reminders and reports. No I/O here."""
