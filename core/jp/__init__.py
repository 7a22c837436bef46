"""Japanese formats and rules: 和暦, kana, check digits, the business calendar.

Pure functions without Django imports; validation errors are
:class:`core.jp.errors.JapaneseValueError`.
"""
