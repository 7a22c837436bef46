"""The member site (電子申請サイト): server-rendered pages to file, save and follow
applications from a phone. Views translate HTTP to :mod:`applications.services.filing`."""
