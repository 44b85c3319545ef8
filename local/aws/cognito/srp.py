"""The server's half of Cognito's SRP sign-in (`USER_SRP_AUTH`, then `PASSWORD_VERIFIER`).

Moto answers the first step with random hex for the salt and `B` and accepts any signature in
the second, so every password signs in. Clients (Amplify's `signIn`, pycognito) prove the
password without sending it: SRP-6a over RFC 5054's 3072-bit group with SHA-256, the key
derived with HKDF ("Caldera Derived Key"), the claim an HMAC of the pool's name, the user's
SRP id, the secret block and a timestamp. No maintained library implements the server side of
this variant (those that exist are clients), so it is written out here, from the protocol.
"""

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

N = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E34"
    "04DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6"
    "F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A6916"
    "3FA8FD24CF5F83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C"
    "32905E462E36CE3BE39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA95"
    "6AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA7157"
    "5D060C7DB3970F85A6E1E4C7ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D876"
    "02733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E"
    "4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
    16,
)
G = 2
DERIVED_KEY_INFO = b"Caldera Derived Key\x01"


def _padded_hex(value: int | str) -> str:
    """Hex of even length whose first byte reads as positive (the protocol's two's-complement
    padding, as Java's BigInteger.toByteArray gives it)."""
    text = value if isinstance(value, str) else f"{value:x}"
    if len(text) % 2:
        return "0" + text
    return "00" + text if text[0] in "89abcdefABCDEF" else text


def _hash_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hash_of_hex(text: str) -> int:
    return int(_hash_hex(bytes.fromhex(text)), 16)


K = _hash_of_hex("00" + f"{N:X}" + "0" + f"{G:X}")


@dataclass(frozen=True)
class PasswordChallenge:
    """One sign-in between its two steps: what the server chose, and what it must check."""

    pool_name: str
    """The user pool's id after the region and underscore."""
    user_id: str
    """USER_ID_FOR_SRP, as the client is told it."""
    salt: str
    verifier: int
    private: int
    public: int
    client_public: int

    @classmethod
    def start(
        cls, pool_id: str, user_id: str, password: str, client_public_hex: str
    ) -> "PasswordChallenge":
        """The server's answer to a client's `SRP_A`; ValueError when `SRP_A` is not valid."""
        try:
            client_public = int(client_public_hex, 16)
        except ValueError:
            raise ValueError("SRP_A is not hexadecimal") from None
        if client_public % N == 0:
            raise ValueError("SRP_A is not valid")
        pool_name = pool_id.split("_", 1)[1]
        salt = secrets.token_hex(16)
        identity = _hash_hex(f"{pool_name}{user_id}:{password}".encode())
        exponent = _hash_of_hex(_padded_hex(salt) + identity)
        verifier = pow(G, exponent, N)
        private = secrets.randbelow(N - 2) + 1
        public = (K * verifier + pow(G, private, N)) % N
        return cls(pool_name, user_id, salt, verifier, private, public, client_public)

    @property
    def parameters(self) -> dict[str, str]:
        """SALT and SRP_B as Cognito's challenge parameters carry them."""
        return {"SALT": self.salt, "SRP_B": f"{self.public:x}"}

    def verify(self, signature: str, secret_block: str, timestamp: str) -> bool:
        """Whether `signature` proves the password this challenge was made for."""
        scrambler = _hash_of_hex(_padded_hex(self.client_public) + _padded_hex(self.public))
        if scrambler == 0:
            return False
        shared = pow(self.client_public * pow(self.verifier, scrambler, N), self.private, N)
        extracted = hmac.digest(
            bytes.fromhex(_padded_hex(scrambler)), bytes.fromhex(_padded_hex(shared)), "sha256"
        )
        key = hmac.digest(extracted, DERIVED_KEY_INFO, "sha256")[:16]
        try:
            block = base64.b64decode(secret_block, validate=True)
            claimed = base64.b64decode(signature, validate=True)
        except ValueError:
            return False
        message = self.pool_name.encode() + self.user_id.encode() + block + timestamp.encode()
        return hmac.compare_digest(hmac.digest(key, message, "sha256"), claimed)
