"""The deploy/ configurations, run for real by the tests: Debian's nginx and coturn, and
`rtcshim serve` processes, each started on this host's own addresses and stopped after."""
