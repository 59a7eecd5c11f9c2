"""Snapshots of the company's MySQL tables: mapping, read-only pulls, validation on landing.

Entry points: ``luckin-lab extract --source <name>`` (:mod:`luckin_lab.extract.commands`) and
:func:`luckin_lab.extract.extract.extract_source`. See ``data_contracts/source_mappings/``.
"""
