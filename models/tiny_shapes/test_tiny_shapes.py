"""Cheap checks of the build's pure parts (no training):
/usr/bin/python3 -m unittest discover -s models/tiny_shapes -t models"""

from __future__ import annotations

import math
import unittest

import numpy as np
import torch

from tiny_shapes import data, schedule, tokenizer


class TokenizerTest(unittest.TestCase):
    def test_clip_conventions(self):
        ids = tokenizer.encode("A Red circle on a blue background")
        self.assertEqual(len(ids), tokenizer.MAX_LENGTH)
        self.assertEqual(ids[0], tokenizer.BOS_ID)
        words = ["a", "red", "circle", "on", "a", "blue", "background"]
        self.assertEqual(ids[1:8], [tokenizer.VOCAB[w] for w in words])
        self.assertEqual(ids[8:], [tokenizer.EOS_ID] * 8)  # eos, then pad = eos

    def test_empty_unknown_and_truncation(self):
        self.assertEqual(tokenizer.encode(""), [tokenizer.BOS_ID] + [tokenizer.EOS_ID] * 15)
        self.assertEqual(tokenizer.encode("zebra")[1], tokenizer.UNK_ID)
        long = tokenizer.encode(" ".join(["red"] * 40))
        self.assertEqual(len(long), 16)
        self.assertEqual(long[-1], tokenizer.EOS_ID)

    def test_json_vocab_matches(self):
        j = tokenizer.tokenizer_json()
        self.assertEqual(j["model"]["vocab"], tokenizer.VOCAB)
        self.assertEqual(j["padding"]["pad_id"], tokenizer.PAD_ID)


class ScheduleTest(unittest.TestCase):
    def test_leading_timesteps(self):
        self.assertEqual(schedule.ddim_timesteps(10), [901, 801, 701, 601, 501, 401, 301, 201, 101, 1])
        ts = schedule.ddim_timesteps(50)
        self.assertEqual((ts[0], ts[-1], len(ts)), (981, 1, 50))

    def test_alphas_cumprod_formula(self):
        ac = schedule.alphas_cumprod().double()
        betas = np.linspace(0.00085**0.5, 0.012**0.5, 1000) ** 2
        self.assertTrue(np.allclose(ac.numpy(), np.cumprod(1 - betas), rtol=1e-5))

    def test_step_matches_diffusers_form(self):
        """METHOD.md's form equals diffusers' x0-prediction form of the DDIM step."""
        ac = schedule.alphas_cumprod()
        g = torch.Generator().manual_seed(0)
        x, eps, z = (torch.randn(1, 4, 8, 8, generator=g, dtype=torch.float64) for _ in range(3))
        for t, steps, eta in ((981, 50, 0.0), (501, 10, 1.0), (1, 50, 1.0)):
            prev = t - 1000 // steps
            a_t = float(ac[t])
            a_p = float(ac[prev]) if prev >= 0 else float(ac[0])
            x0 = (x - math.sqrt(1 - a_t) * eps) / math.sqrt(a_t)
            var = (1 - a_p) / (1 - a_t) * (1 - a_t / a_p)
            sd = eta * math.sqrt(var)
            want = math.sqrt(a_p) * x0 + math.sqrt(1 - a_p - sd * sd) * eps + sd * z
            got = schedule.ddim_step(x, eps, t, steps, eta, z, ac)
            self.assertTrue(torch.allclose(got, want, atol=1e-10), (t, steps, eta))

    def test_eta_zero_ignores_noise(self):
        ac = schedule.alphas_cumprod()
        x, eps = torch.ones(1, 4, 8, 8), torch.zeros(1, 4, 8, 8)
        a = schedule.ddim_step(x, eps, 501, 10, 0.0, torch.randn(1, 4, 8, 8), ac)
        b = schedule.ddim_step(x, eps, 501, 10, 0.0, None, ac)
        self.assertTrue(torch.equal(a, b))

    def test_noise_free_step_is_the_eta_zero_step(self):
        # The DNO authors' last step: sigma = 0 in both the noise term and the eps coefficient.
        ac = schedule.alphas_cumprod()
        gen = torch.Generator().manual_seed(3)
        x, eps, z = (torch.randn(1, 4, 8, 8, generator=gen) for _ in range(3))
        free = schedule.ddim_step(x, eps, 1, 10, 1.0, z, ac, noise_free=True)
        self.assertTrue(torch.equal(free, schedule.ddim_step(x, eps, 1, 10, 0.0, None, ac)))
        self.assertFalse(torch.allclose(free, schedule.ddim_step(x, eps, 1, 10, 1.0, z, ac), atol=1e-3))


class DataTest(unittest.TestCase):
    def test_render_colours_and_caption(self):
        attrs = {"shape": 1, "colour": 0, "background": 2, "count": 1, "size": 1}
        img = data.render(attrs, np.random.default_rng(0), data._grid()).astype(np.float32)
        centre = img[:, 32, 32]
        corner = img[:, 1, 1]
        self.assertTrue(np.all(np.abs(centre - data.COLOUR_RGB[0]) <= data.COLOUR_JITTER + 1))
        self.assertTrue(np.all(np.abs(corner - data.COLOUR_RGB[2]) <= data.COLOUR_JITTER + 1))
        self.assertEqual(data.caption(1, 0, 2, 1, 1), "a large red square on a blue background")
        self.assertEqual(data.caption(2, 3, 4, 2, None), "two yellow triangles on a white background")

    def test_generation_is_seeded(self):
        a, b = data.generate(20, 5), data.generate(20, 5)
        self.assertTrue(np.array_equal(a["images"], b["images"]))
        self.assertTrue(np.all(a["colour"] != a["background"]))


if __name__ == "__main__":
    unittest.main()
