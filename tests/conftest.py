"""Settings every test module shares."""

from hypothesis import HealthCheck, settings

# The tests run on machines shared with other jobs: how long one example takes to
# generate or run says nothing about the code under test, so no deadline and no
# speed health check (a test may still set its own).
settings.register_profile(
    "shared-machine", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("shared-machine")
