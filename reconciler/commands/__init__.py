"""One module per command; each has ``register(commands)``.

``register`` adds the command's subparser and sets its ``handler``, a
function of the parsed arguments that returns the exit code.
"""
