"""Long id lists in pieces (db/chunks.py): every id once, in order, no piece over the size."""

from ispcube.db.chunks import ID_CHUNK, chunks, one_list


def test_pieces_keep_every_value_once_in_order():
    ids = list(range(1, 1202))
    pieces = list(chunks(ids))
    assert [len(p) for p in pieces] == [ID_CHUNK, ID_CHUNK, 201]
    assert [i for p in pieces for i in p] == ids
    assert list(chunks([], 3)) == [] and list(chunks((1, 2, 3, 4), 3)) == [[1, 2, 3], [4]]


def test_one_list_only_while_the_ids_fit_one_chunk():
    assert sorted(one_list(set(range(ID_CHUNK))) or []) == list(range(ID_CHUNK))
    assert one_list(range(ID_CHUNK + 1)) is None
