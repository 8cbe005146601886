"""Media on the server: the devices getUserMedia offers, and what carries their frames.

`sources` (the devices and the tracks that play them), `constraints` (SelectSettings over
their capabilities), `frame_pattern` (the counter and time stamped into synthetic video),
`upload` (the page's own capture), `fan_out` (one source to many tracks, one track to many
consumers) and `meter` (frames and samples counted for getStats). Nothing here speaks the
protocol: the MediaStreamTrack dispatcher (`dispatchers/media_stream_track.py`) does.
"""
