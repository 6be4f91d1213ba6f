"""Interpolation methods: the :class:`~atdkit.methods.base.Interpolator` interface, the registry fed
by the ``atdkit.methods`` entry points, and the reference method AnimeInterp."""
