"""Korean text handling: Kiwi tokens, phone numbers and names, jamo, and the Rasa components.

config.yml names the components by module path (`korean_nlu.components.KiwiTokenizer`); this
package's __init__ stays light so that the action server can use `korean_nlu.text` without
loading Rasa's NLU stack.
"""
