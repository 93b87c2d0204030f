// ScriptedModelServer module: work in progress.
