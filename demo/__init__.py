"""Demo data, apart from the production apps: synthetic members and employers
(:mod:`demo.eligibility`, names from :mod:`demo.names`), applications
(:mod:`demo.applications`), the demo accounts (:mod:`demo.accounts`), the return mailbox's
packages (:mod:`demo.returns`), a mailing batch (:mod:`demo.notices`) and the マイナ保険証
dashboard's figures (:mod:`demo.myna`); ``manage.py demo_data`` runs them in order.

Installed only by ``config.settings.local`` and ``config.settings.test``; the benchmarks and
the load runs use the generators too. Production apps never import this package.
"""
