"""Dreaming in Discord: the commands (`cog`, `info`), one dream from request to reply
(`runner`), the server's rules (`admission`), where replies go (`replies`, `progress`,
`views`), the attachment (`fetch`), `!dream` words (`options`), restart recovery
(`recovery`), and every word the feature says (`messages`)."""
