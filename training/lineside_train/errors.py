"""Errors a user can act on; the CLI prints them as one line and exits with status 2."""


class UserError(Exception):
    """A problem with the user's input (folder, image, size, option), not a bug."""


class UnsupportedImage(UserError):
    """An image that exists but cannot be turned into a model input (CMYK, odd mode, corrupt)."""
