// The shared waiting helpers (waitUntil, readEvents, patience, offload) for every file of this target.
@_exported import TestWaiting
