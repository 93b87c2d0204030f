// Callers of the model layer speak JSONValue.
@_exported import JSON
