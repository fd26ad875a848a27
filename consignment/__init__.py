"""The 위탁콜 domain: the article's content, places, the admin's suspension data and identity.

Pure Python (no Rasa imports) so that the NLU components, the actions and the channels can all
use it, and so that it is tested without a tracker.
"""
