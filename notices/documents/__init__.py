"""Builds each document's items from eligibility records, and renders them.

One module per document: ``notice`` (資格情報のお知らせ), ``certificate`` (資格確認書 and its
有効期限 rule), ``employer_list`` (対象者一覧表). Items are plain dicts for the templates
under ``templates/notices/``; ``notices.rendering`` turns them into PDF.
"""
