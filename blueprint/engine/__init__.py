"""Deciding: people and convictions from rows, facts, predicates, the policy, the rule pack, the evaluation and its outcomes."""
