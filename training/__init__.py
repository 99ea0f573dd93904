"""Reproduce the files in `bot/data/` that are learned or extracted from public data.

    python -m training --medquad ../shared/data/medquad.tar.gz --clinc PATH/TO/oos-eval

Nothing here runs when the bot answers or indexes: these commands read public datasets
(MedQuAD, CC BY 4.0; CLINC150, CC BY-SA 3.0) and write small files that ship in the
repository, so the product never needs the datasets themselves. `training/README.md`
says which file comes from which data, and how evaluation questions are kept out.
"""
