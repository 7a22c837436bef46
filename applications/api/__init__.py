"""REST API of electronic applications (電子申請) for the member app and attorneys."""
