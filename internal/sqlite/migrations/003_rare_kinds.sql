-- Dead letters and capture gaps are few among millions of messages; a
-- partial index finds them without scanning the log and costs the hot
-- path of message appends nothing.
CREATE INDEX records_rare_kind ON records (kind, leaf_index)
	WHERE kind IN ('dead_letter', 'capture_gap');
