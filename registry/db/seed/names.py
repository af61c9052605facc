"""Romanised Pakistani names and place-name pieces for the synthetic part of the demo data.

Every person and every place below district level in the demo is invented by combining these pieces; the
lists are common, widely shared names (no real individual is described). Family names are grouped by the
region where they are most common, so a child in Quetta is more likely a Kakar or a Baloch than a Memon.
"""

from __future__ import annotations

MALE_GIVEN_NAMES: tuple[str, ...] = (
    "Abdul Rehman", "Abdullah", "Adeel", "Adnan", "Ahmad", "Ahsan", "Aizaz", "Akbar", "Ali", "Ali Raza",
    "Amir", "Anwar", "Arif", "Arsalan", "Asad", "Asif", "Awais", "Ayaan", "Azhar", "Babar", "Bilal",
    "Danish", "Ehsan", "Faheem", "Faisal", "Farhan", "Fawad", "Ghulam Abbas", "Ghulam Mustafa", "Gul Khan",
    "Habib", "Hamid", "Hamza", "Haris", "Hasnain", "Hassan", "Hussain", "Huzaifa", "Ibrahim", "Imran",
    "Irfan", "Ismail", "Jahangir", "Jamil", "Javed", "Junaid", "Kamran", "Kashif", "Khalid", "Khurram",
    "Mohsin", "Muhammad Ali", "Muhammad Asif", "Muhammad Bilal", "Muhammad Usman", "Mujahid", "Murad",
    "Naeem", "Naveed", "Nadeem", "Noman", "Obaid", "Owais", "Qasim", "Rafiq", "Rashid", "Rehan", "Rizwan",
    "Saad", "Sajid", "Salman", "Sami", "Saqib", "Shahid", "Shahzad", "Sher Ali", "Shoaib", "Sohail",
    "Sufyan", "Tahir", "Talha", "Tariq", "Umar", "Usman", "Wajid", "Waleed", "Waqas", "Waseem", "Yasir",
    "Younas", "Zahid", "Zain", "Zeeshan", "Zubair",
)  # fmt: skip

FEMALE_GIVEN_NAMES: tuple[str, ...] = (
    "Aasia", "Afshan", "Aleena", "Alina", "Amina", "Anum", "Aqsa", "Areeba", "Asma", "Ayesha", "Bano",
    "Bushra", "Fatima", "Fozia", "Ghazala", "Gul Bibi", "Gulalai", "Gulnaz", "Hafsa", "Hajra", "Hina",
    "Hira", "Humaira", "Iqra", "Iram", "Javeria", "Kainat", "Khadija", "Kiran", "Laiba", "Mahnoor",
    "Maria", "Maryam", "Mehwish", "Misbah", "Nadia", "Naila", "Nasreen", "Nazia", "Nida", "Noor",
    "Noreen", "Palwasha", "Parveen", "Rabia", "Rida", "Rukhsana", "Sadia", "Saima", "Sajida", "Samina",
    "Sana", "Shabana", "Shagufta", "Shazia", "Sidra", "Sobia", "Sumaira", "Tahira", "Tayyaba", "Uzma",
    "Warda", "Yasmin", "Zahida", "Zainab", "Zarmina", "Zoya",
)  # fmt: skip

# Names given to boys and girls alike, used when the recorded sex is transgender or unknown.
NEUTRAL_GIVEN_NAMES: tuple[str, ...] = ("Noor", "Gul", "Sahar", "Roshan", "Shahzadi", "Chanda", "Bakhtawar")

COMMON_FAMILY_NAMES: tuple[str, ...] = (
    "Khan", "Ahmed", "Ali", "Hussain", "Shah", "Qureshi", "Sheikh", "Malik", "Siddiqui", "Ansari",
)  # fmt: skip

# Keyed by province code (ISO 3166-2).
FAMILY_NAMES_BY_PROVINCE: dict[str, tuple[str, ...]] = {
    "PK-PB": (
        "Arain",
        "Awan",
        "Bhatti",
        "Butt",
        "Chaudhry",
        "Cheema",
        "Dogar",
        "Gill",
        "Gondal",
        "Gujjar",
        "Jutt",
        "Kharal",
        "Mughal",
        "Rajput",
        "Ranjha",
        "Sandhu",
        "Sial",
        "Tarar",
        "Virk",
        "Warraich",
    ),
    "PK-SD": (
        "Abro",
        "Bhutto",
        "Brohi",
        "Chandio",
        "Jamali",
        "Jatoi",
        "Junejo",
        "Kalhoro",
        "Khoso",
        "Laghari",
        "Mahar",
        "Mangi",
        "Memon",
        "Mirani",
        "Panhwar",
        "Shaikh",
        "Solangi",
        "Soomro",
        "Talpur",
        "Unar",
    ),
    "PK-KP": (
        "Afridi",
        "Bangash",
        "Durrani",
        "Khattak",
        "Marwat",
        "Mohmand",
        "Orakzai",
        "Shinwari",
        "Swati",
        "Tanoli",
        "Wazir",
        "Yousafzai",
        "Kundi",
        "Gandapur",
        "Mahsud",
        "Jadoon",
    ),
    "PK-BA": (
        "Achakzai",
        "Baloch",
        "Bugti",
        "Jamot",
        "Kakar",
        "Kasi",
        "Marri",
        "Mengal",
        "Mandokhel",
        "Raisani",
        "Rind",
        "Zehri",
        "Tareen",
        "Langove",
        "Domki",
    ),
    "PK-IS": ("Abbasi", "Awan", "Satti", "Janjua", "Kiyani", "Raja", "Qureshi", "Mughal", "Gondal", "Butt"),
    "PK-GB": ("Baig", "Hunzai", "Shah", "Balti", "Shigri", "Karim", "Nagri", "Khan", "Tajik", "Yaftali"),
    "PK-JK": ("Abbasi", "Sudhan", "Rathore", "Mughal", "Chaudhry", "Raja", "Mir", "Lone", "Awan", "Kiyani"),
}

# Roots and endings of invented place names: Rahim + abad = Rahimabad.
PLACE_ROOTS: tuple[str, ...] = (
    "Rahim", "Karim", "Noor", "Gul", "Shah", "Islam", "Rehman", "Faiz", "Madina", "Ghaus", "Qasim",
    "Sadiq", "Habib", "Fateh", "Nawab", "Sultan", "Jinnah", "Iqbal", "Chiragh", "Bagh", "Ahmed", "Usman",
    "Hamid", "Bilal", "Mustafa", "Daud", "Sher", "Mehr", "Khan", "Amin", "Nasir", "Jamal", "Raza", "Aziz",
    "Mansur", "Haider", "Latif", "Yousaf", "Baba", "Pir",
)  # fmt: skip
PLACE_ENDINGS: tuple[str, ...] = ("abad", "pura", "nagar", "garh", "wala", "kot", "pur", " Colony", " Town")

# How a village or neighbourhood is usually called, by province: "Chak 45-GB", "Goth Karimabad", ...
COMMUNITY_PREFIXES_BY_PROVINCE: dict[str, tuple[str, ...]] = {
    "PK-PB": ("Mohalla", "Basti", "Dhok", "Union Council"),
    "PK-SD": ("Goth", "Mohalla", "Union Council"),
    "PK-KP": ("Kalay", "Mohalla", "Banda", "Union Council"),
    "PK-BA": ("Killi", "Goth", "Mohalla", "Union Council"),
    "PK-IS": ("Sector", "Mohalla", "Union Council"),
    "PK-GB": ("Village", "Mohalla", "Union Council"),
    "PK-JK": ("Village", "Mohalla", "Union Council"),
}

# The first tehsils of a district are "<district> City" and "<district> Saddar"; others get invented names.
TEHSIL_QUALIFIERS: tuple[str, ...] = ("City", "Saddar")

# Implementing partners: invented non-governmental organisations, each working in one province.
# (code, name, province code, focus) where focus is "education", "livelihoods" or "protection".
NGO_PARTNERS: tuple[tuple[str, str, str, str], ...] = (
    ("RRF", "Roshan Raah Foundation", "PK-PB", "education"),
    ("NST", "Naya Savera Trust", "PK-PB", "protection"),
    ("UES", "Ujala Education Society", "PK-PB", "education"),
    ("HDO", "Hamqadam Development Organisation", "PK-PB", "livelihoods"),
    ("PQF", "Pehla Qadam Foundation", "PK-PB", "education"),
    ("CWT", "Chiragh Welfare Trust", "PK-PB", "protection"),
    ("KHS", "Khushhal Ghar Society", "PK-PB", "livelihoods"),
    ("SCRF", "Sahara Child Rights Forum", "PK-SD", "protection"),
    ("MRS", "Mehran Roshni Society", "PK-SD", "education"),
    ("ILAS", "Insaf Legal Aid Society", "PK-SD", "protection"),
    ("SKF", "Sindh Kaarigar Foundation", "PK-SD", "livelihoods"),
    ("BBT", "Bachpan Bachao Trust", "PK-SD", "education"),
    ("ADS", "Aman Dost Society", "PK-KP", "protection"),
    ("SPF", "Sitara Pakhtunkhwa Foundation", "PK-KP", "education"),
    ("HHN", "Hunar Haath Network", "PK-KP", "livelihoods"),
    ("ZOT", "Zindagi Outreach Trust", "PK-KP", "protection"),
    ("RCN", "Rahnuma Community Network", "PK-BA", "education"),
    ("BWF", "Bolan Women and Children Foundation", "PK-BA", "protection"),
    ("MCI", "Margalla Children's Initiative", "PK-IS", "protection"),
    ("KKS", "Karakoram Khidmat Society", "PK-GB", "education"),
    ("NVT", "Neelum Valley Trust", "PK-JK", "livelihoods"),
)

# Where street-connected children without an address were found.
LANDMARKS: tuple[str, ...] = (
    "railway station", "general bus stand", "main bazaar", "fruit and vegetable market", "shrine",
    "truck stand", "brick kiln", "auto workshops", "fish harbour", "hotel and tea stall row",
)  # fmt: skip
