"""資格情報: members and their insurance eligibility, the source every other part reads."""
