"""Clearance kit engine."""
