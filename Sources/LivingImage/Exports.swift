// Every module above LivingImage speaks JSONValue.
@_exported import JSON
