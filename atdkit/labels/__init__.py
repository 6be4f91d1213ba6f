"""Labels: annotators, the judgement queue, submissions, consensus and agreement."""
