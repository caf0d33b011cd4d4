"""Code rules shared by the registry, the console kernel and the validation engine.

Framework-free: the standard library only, never Django, never another package of the project,
so the engine, `onboarding/` and `console/` can all stand on it.
"""
