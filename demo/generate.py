"""Generate demo data for the kirana inventory service.

Writes three CSV files next to this script, in the columns `inventory-csv import` reads (the one
source of the demo data: `make run` loads them with that tool):

* demo/locations.csv - the three stores, as locations (Bengaluru, Mumbai, Delhi).
* demo/catalog.csv   - the shared product catalog of an Indian grocery marketplace
                       (real-sounding brands, GS1-valid EAN-13/EAN-8/UPC-A barcodes, MRP in rupees).
* demo/inventory.csv - stock rows for the three stores, with about 10% of rows out of stock and
                       about 12% at or below their reorder point.

The output is deterministic (fixed random seed, standard library only). Rerun from the repo root with:

    python3 demo/generate.py
"""

from __future__ import annotations

import csv
import random
import re
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from pathlib import Path

SEED = 20240615
OUT_DIR = Path(__file__).resolve().parent
IMAGE_BASE = "https://images.example.com/products"
PAISE = Decimal("0.01")

CATEGORIES = [
    "Staples",
    "Rice & Pulses",
    "Oils & Ghee",
    "Spices & Masalas",
    "Dairy & Bakery",
    "Fruits & Vegetables",
    "Snacks & Branded Foods",
    "Frozen & Instant Food",
    "Beverages",
    "Personal Care",
    "Household Care",
    "Baby Care",
]
UNITS = ["kg", "g", "l", "ml", "piece", "pack", "dozen"]

# Flags (5th tuple element, space separated):
#   ean8 / upc  -> barcode symbology (default EAN-13 with the Indian 890 prefix)
#   cold / frz  -> kept in a chiller (COLD-n) or freezer (FRZ-n) rather than on an aisle shelf
#   blr/mum/del -> a regional brand stocked only by that city's store
# Each tuple: (brand, name with pack size, MRP in rupees, one-sentence description, flags)
PRODUCTS: dict[str, list[tuple[str, str, str, str, str]]] = {
    "Staples": [
        ("Aashirvaad", "Aashirvaad Shudh Chakki Atta 5 kg", "285", "Whole wheat flour ground the traditional chakki way for soft, fluffy rotis.", ""),
        ("Aashirvaad", "Aashirvaad Shudh Chakki Atta 10 kg", "545", "Family-size pack of 100% whole wheat chakki atta with no maida.", ""),
        ("Aashirvaad", "Aashirvaad Multigrain Atta 5 kg", "339", "Atta blended with soya, chana, oats, maize and psyllium husk for high-fibre rotis.", ""),
        ("Pillsbury", "Pillsbury Chakki Fresh Atta 5 kg", "270", "Chakki-ground whole wheat atta that keeps rotis soft for hours.", ""),
        ("Fortune", "Fortune Chakki Fresh Atta 5 kg", "265", "Stone-ground whole wheat atta made from select grains.", ""),
        ("Fortune", "Fortune Maida 1 kg", "55", "Fine refined wheat flour for naan, bhature and baking.", ""),
        ("Tata Salt", "Tata Salt 1 kg", "28", "Vacuum-evaporated iodised salt, India's most trusted salt.", ""),
        ("Tata Salt", "Tata Salt Lite Low Sodium 1 kg", "48", "Iodised salt with 15% less sodium for a heart-friendly diet.", ""),
        ("Aashirvaad", "Aashirvaad Iodised Salt 1 kg", "28", "Free-flowing iodised salt with the right balance of minerals.", ""),
        ("Madhur", "Madhur Pure & Hygienic Sugar 1 kg", "58", "Sulphur-free refined sugar packed hygienically without human touch.", ""),
        ("Dhampure", "Dhampure Sulphurless Sugar 1 kg", "62", "Crystal white sulphurless sugar from Uttar Pradesh cane.", ""),
        ("Rajdhani", "Rajdhani Besan 500 g", "70", "Finely milled chana dal flour for pakoras, kadhi and laddoos.", ""),
        ("Tata Sampann", "Tata Sampann 100% Chana Dal Besan 500 g", "75", "Besan made only from chana dal, with no added wheat or maize.", ""),
        ("Rajdhani", "Rajdhani Bombay Rava Suji 500 g", "40", "Fine semolina for upma, rava idli and sheera.", ""),
        ("Rajdhani", "Rajdhani Poha Thick 500 g", "45", "Thick flattened rice flakes that stay firm in kanda poha.", ""),
        ("Organic Tattva", "Organic Tattva Jaggery Powder 500 g", "95", "Chemical-free organic jaggery powder, a natural sweetener for tea and sweets.", ""),
    ],
    "Rice & Pulses": [
        ("India Gate", "India Gate Basmati Rice Classic 1 kg", "225", "Aged long-grain basmati that cooks up fluffy and aromatic.", ""),
        ("India Gate", "India Gate Basmati Rice Feast Rozzana 5 kg", "495", "Everyday basmati rice with good length and aroma at great value.", ""),
        ("India Gate", "India Gate Brown Basmati Rice 1 kg", "210", "Unpolished brown basmati rich in fibre with a nutty taste.", ""),
        ("Daawat", "Daawat Rozana Super Basmati Rice 5 kg", "525", "Everyday basmati rice for daily dal-chawal and pulao.", ""),
        ("Daawat", "Daawat Traditional Basmati Rice 1 kg", "215", "Aged traditional basmati with long slender grains.", ""),
        ("Kohinoor", "Kohinoor Super Value Basmati Rice 1 kg", "145", "Value basmati rice with natural aroma for everyday meals.", ""),
        ("Fortune", "Fortune Biryani Special Basmati Rice 1 kg", "199", "Extra-long basmati grains that stay separate in biryani.", ""),
        ("24 Mantra", "24 Mantra Organic Sona Masoori Rice 5 kg", "525", "Certified organic Sona Masoori, light and easy to digest.", ""),
        ("Tata Sampann", "Tata Sampann Unpolished Toor Dal 1 kg", "205", "Unpolished arhar dal that retains its natural protein.", ""),
        ("Tata Sampann", "Tata Sampann Unpolished Moong Dal 1 kg", "175", "Split yellow moong dal, unpolished and quick to cook.", ""),
        ("Tata Sampann", "Tata Sampann Unpolished Chana Dal 1 kg", "120", "Unpolished split Bengal gram for dal, halwa and snacks.", ""),
        ("Tata Sampann", "Tata Sampann Unpolished Masoor Dal 1 kg", "139", "Red lentils that cook soft in minutes.", ""),
        ("Tata Sampann", "Tata Sampann Unpolished Urad Dal 500 g", "95", "Split black gram for idli, dosa batter and dal makhani.", ""),
        ("24 Mantra", "24 Mantra Organic Toor Dal 1 kg", "260", "Certified organic toor dal grown without chemical pesticides.", ""),
        ("Organic Tattva", "Organic Tattva Rajma Chitra 500 g", "130", "Organic speckled kidney beans for creamy rajma chawal.", ""),
        ("Organic Tattva", "Organic Tattva Kabuli Chana 1 kg", "210", "Bold organic white chickpeas for chole and salads.", ""),
    ],
    "Oils & Ghee": [
        ("Fortune", "Fortune Sunlite Refined Sunflower Oil 1 l", "155", "Light, healthy sunflower oil rich in vitamins A and D.", ""),
        ("Fortune", "Fortune Kachi Ghani Pure Mustard Oil 1 l", "185", "Cold-pressed mustard oil with strong pungency and aroma.", ""),
        ("Fortune", "Fortune Rice Bran Health Oil 1 l", "165", "Rice bran oil with oryzanol for heart-conscious cooking.", ""),
        ("Saffola", "Saffola Gold Blended Edible Oil 1 l", "210", "Rice bran and sunflower oil blend that helps manage cholesterol.", ""),
        ("Saffola", "Saffola Gold Blended Edible Oil 5 l", "1045", "Value jar of Saffola Gold dual-seed oil for the whole family.", ""),
        ("Dhara", "Dhara Kachi Ghani Mustard Oil 1 l", "180", "Traditional kachi ghani mustard oil in a pouch.", ""),
        ("Sundrop", "Sundrop Lite Sunflower Oil 1 l", "165", "Light sunflower oil that absorbs less while frying.", ""),
        ("Gemini", "Gemini Refined Sunflower Oil 1 l", "150", "Refined sunflower oil, a kitchen staple across South India.", ""),
        ("Freedom", "Freedom Refined Sunflower Oil 1 l", "145", "Pure refined sunflower oil for everyday cooking.", ""),
        ("Figaro", "Figaro Pure Olive Oil 500 ml", "649", "Spanish pure olive oil suited to Indian-style cooking.", ""),
        ("Amul", "Amul Pure Ghee 1 l", "650", "Rich, granular ghee made from fresh cream.", ""),
        ("Amul", "Amul Pure Ghee 500 ml", "330", "Aromatic pure ghee for tadka, rotis and sweets.", ""),
        ("Gowardhan", "Gowardhan Pure Cow Ghee 1 l", "690", "Cow ghee with a classic danedar texture and aroma.", "mum"),
        ("Patanjali", "Patanjali Cow's Ghee 1 l", "655", "Cow ghee prepared by the traditional method.", ""),
        ("Nandini", "Nandini Pure Ghee 500 ml", "330", "Karnataka's favourite ghee from KMF with a rich aroma.", "blr"),
        ("Aashirvaad", "Aashirvaad Svasti Pure Cow Ghee 1 l", "695", "Slow-cooked cow ghee with a natural golden colour.", ""),
        ("Dalda", "Dalda Vanaspati 1 l", "175", "Hydrogenated vegetable fat for crisp frying and baking.", ""),
    ],
    "Spices & Masalas": [
        ("MDH", "MDH Deggi Mirch 100 g", "92", "Chilli powder that gives curries a rich red colour with mild heat.", ""),
        ("MDH", "MDH Chana Masala 100 g", "85", "Spice blend for tangy Punjabi-style chole.", ""),
        ("MDH", "MDH Kitchen King Masala 100 g", "90", "All-purpose masala for vegetables, paneer and dal.", ""),
        ("MDH", "MDH Garam Masala 100 g", "95", "Aromatic blend of whole spices, ground fine.", ""),
        ("MDH", "MDH Kasoori Methi 25 g", "40", "Dried fenugreek leaves to finish butter masala and parathas.", ""),
        ("Everest", "Everest Garam Masala 100 g", "88", "Classic garam masala with cardamom, clove and cinnamon.", ""),
        ("Everest", "Everest Chicken Masala 100 g", "82", "Spice mix for a rich home-style chicken curry.", ""),
        ("Everest", "Everest Turmeric Powder 200 g", "72", "Bright turmeric powder with natural curcumin.", ""),
        ("Everest", "Everest Kashmirilal Chilli Powder 100 g", "88", "Kashmiri chilli powder for deep colour and low heat.", ""),
        ("Catch", "Catch Jeera Powder 100 g", "72", "Roasted cumin powder for raita, chaas and curries.", ""),
        ("Catch", "Catch Black Pepper Powder 100 g", "135", "Freshly ground black pepper from Malabar.", ""),
        ("Catch", "Catch Sprinkler Chaat Masala 100 g", "62", "Tangy chaat masala in an easy sprinkler pack.", ""),
        ("Tata Sampann", "Tata Sampann Turmeric Powder 200 g", "68", "Turmeric powder with at least 3% natural curcumin.", ""),
        ("Tata Sampann", "Tata Sampann Coriander Powder 200 g", "60", "Coriander powder that keeps its natural oils and aroma.", ""),
        ("Eastern", "Eastern Sambar Powder 100 g", "52", "Kerala-style sambar powder with roasted spices.", "blr"),
        ("MTR", "MTR Rasam Powder 100 g", "60", "Peppery Karnataka-style rasam powder.", ""),
        ("MTR", "MTR Sambar Powder 200 g", "105", "Bengaluru-style sambar powder since 1924.", ""),
        ("Badshah", "Badshah Pav Bhaji Masala 100 g", "75", "Mumbai street-style pav bhaji masala.", ""),
        ("Aachi", "Aachi Chicken 65 Masala 100 g", "55", "Spicy marinade mix for crisp chicken 65.", "blr"),
        ("Organic Tattva", "Organic Tattva Cumin Seeds 100 g", "75", "Whole organic jeera for tadka and jeera rice.", ""),
        ("Organic Tattva", "Organic Tattva Mustard Seeds 100 g", "35", "Small black organic mustard seeds for tempering.", ""),
        ("LG", "LG Compounded Asafoetida 50 g", "125", "Strong compounded hing for dal and sambar tadka.", ""),
    ],
    "Dairy & Bakery": [
        ("Amul", "Amul Butter 500 g", "285", "Pasteurised salted butter, utterly butterly delicious.", "cold"),
        ("Amul", "Amul Butter 100 g", "58", "Salted table butter for toast and parathas.", "cold"),
        ("Amul", "Amul Taaza Toned Milk 1 l", "72", "Long-life toned milk in a tetra pack, no refrigeration till opened.", "cold"),
        ("Amul", "Amul Gold Full Cream Milk 500 ml", "34", "Full cream milk with 6% fat for tea, coffee and sweets.", "cold"),
        ("Nandini", "Nandini Toned Milk 500 ml", "26", "Fresh pasteurised toned milk from Karnataka Milk Federation.", "cold blr"),
        ("Mother Dairy", "Mother Dairy Full Cream Milk 1 l", "68", "Fresh full cream milk delivered daily in Delhi NCR.", "cold del"),
        ("Amul", "Amul Masti Dahi Cup 400 g", "55", "Thick, creamy set curd made from pasteurised milk.", "cold"),
        ("Mother Dairy", "Mother Dairy Classic Dahi 400 g", "50", "Fresh set curd with a mild, smooth taste.", "cold del"),
        ("Nestle", "Nestle a+ Nourish Dahi 400 g", "65", "Toned milk dahi with active cultures.", "cold"),
        ("Amul", "Amul Fresh Paneer 200 g", "90", "Soft malai paneer for curries and tikka.", "cold"),
        ("Milky Mist", "Milky Mist Paneer 200 g", "100", "Vacuum-packed fresh paneer with no preservatives.", "cold blr"),
        ("Amul", "Amul Cheese Slices 200 g", "150", "Processed cheese slices for sandwiches and burgers.", "cold"),
        ("Britannia", "Britannia Processed Cheese Block 200 g", "135", "Smooth cheese block that grates and melts well.", "cold"),
        ("Amul", "Amul Fresh Cream 250 ml", "68", "Low-fat fresh cream for gravies and desserts.", "cold"),
        ("Epigamia", "Epigamia Greek Yogurt Blueberry 90 g", "50", "Thick, high-protein Greek yogurt with real blueberries.", "cold"),
        ("Farm Fresh", "Farm Fresh Table Eggs 1 dozen", "84", "Fresh white table eggs from hygienic poultry farms.", "cold"),
        ("Eggoz", "Eggoz Nutrition Brown Eggs (Pack of 6)", "75", "Antibiotic-free brown eggs laid by farm-raised hens.", "cold"),
        ("Britannia", "Britannia 100% Whole Wheat Bread 400 g", "55", "Soft bread made with 100% whole wheat atta.", ""),
        ("Modern", "Modern Sandwich White Bread 400 g", "45", "Soft white bread sliced for sandwiches.", ""),
        ("Harvest Gold", "Harvest Gold White Bread 450 g", "45", "Delhi's favourite soft white bread.", "del"),
        ("English Oven", "English Oven Burger Buns (Pack of 4)", "40", "Soft sesame-topped buns for burgers and vada pav.", ""),
        ("Britannia", "Britannia Toastea Premium Bake Rusk 273 g", "50", "Crunchy double-baked rusk, perfect with chai.", ""),
    ],
    "Fruits & Vegetables": [
        ("Fresho", "Onion 1 kg", "45", "Fresh red onions, a base for every Indian curry.", ""),
        ("Fresho", "Tomato - Hybrid 1 kg", "40", "Firm, juicy hybrid tomatoes for gravies and salads.", ""),
        ("Fresho", "Potato 1 kg", "38", "Fresh potatoes for sabzi, parathas and fries.", ""),
        ("Fresho", "Green Chilli 100 g", "10", "Fresh green chillies with a sharp heat.", ""),
        ("Fresho", "Coriander Leaves 100 g", "12", "Fresh coriander bunch for garnish and chutney.", ""),
        ("Fresho", "Ginger 250 g", "40", "Fresh aromatic ginger for chai and masala.", ""),
        ("Fresho", "Garlic 250 g", "75", "Fresh garlic bulbs with plump cloves.", ""),
        ("Fresho", "Lemon 250 g", "30", "Juicy lemons for nimbu pani and pickles.", ""),
        ("Fresho", "Carrot - Ooty 500 g", "35", "Crunchy Ooty carrots for salads and gajar halwa.", ""),
        ("Fresho", "Capsicum - Green 500 g", "40", "Crisp green capsicum for stir-fries and pizza.", ""),
        ("Fresho", "Cauliflower 1 pc", "35", "Fresh white cauliflower head, about 500-700 g.", ""),
        ("Fresho", "Cabbage 1 pc", "30", "Fresh green cabbage, about 500-800 g.", ""),
        ("Fresho", "Cucumber 500 g", "25", "Cool, crisp cucumbers for salads and raita.", ""),
        ("Fresho", "Ladies Finger (Bhindi) 500 g", "30", "Tender bhindi for crisp sabzi.", ""),
        ("Fresho", "Spinach (Palak) 250 g", "20", "Fresh palak leaves for palak paneer and dal.", ""),
        ("Farm Fresh", "Banana - Robusta 1 dozen", "60", "Ripe Robusta bananas, naturally sweet.", ""),
        ("Farm Fresh", "Banana - Yelakki 1 kg", "90", "Small, sweet Yelakki bananas from Karnataka.", "blr"),
        ("Farm Fresh", "Apple - Shimla 1 kg", "180", "Crisp, sweet apples from Himachal orchards.", ""),
        ("Farm Fresh", "Papaya 1 kg", "50", "Ripe papaya, rich in vitamin A.", ""),
        ("Farm Fresh", "Pomegranate 1 kg", "190", "Bhagwa pomegranates with deep red arils.", ""),
        ("Farm Fresh", "Orange - Nagpur 1 kg", "110", "Juicy Nagpur oranges with a sweet-tangy taste.", ""),
        ("Farm Fresh", "Mango - Alphonso 1 dozen", "799", "Ratnagiri Alphonso mangoes, the king of mangoes.", "mum"),
        ("Farm Fresh", "Watermelon 1 pc", "80", "Whole kiran watermelon, about 2-3 kg.", ""),
        ("Fresho", "Coconut 1 pc", "35", "Mature coconut for chutney and curries.", ""),
    ],
    "Snacks & Branded Foods": [
        ("Parle", "Parle-G Original Glucose Biscuits 800 g", "90", "India's favourite glucose biscuit in a family pack.", ""),
        ("Parle", "Parle-G Original Glucose Biscuits 65 g", "5", "The classic Parle-G small pack, perfect with chai.", "ean8"),
        ("Parle", "Parle Monaco Classic Salted Biscuits 200 g", "40", "Light, crisp salted crackers.", ""),
        ("Parle", "Parle Hide & Seek Chocolate Chip Cookies 200 g", "60", "Crunchy cookies loaded with chocolate chips.", ""),
        ("Britannia", "Britannia Good Day Cashew Cookies 200 g", "50", "Buttery cookies studded with cashew bits.", ""),
        ("Britannia", "Britannia Marie Gold 250 g", "40", "Light tea-time biscuit with vitamins and minerals.", ""),
        ("Britannia", "Britannia NutriChoice Digestive 250 g", "60", "High-fibre whole wheat digestive biscuits.", ""),
        ("Britannia", "Britannia Bourbon Chocolate Cream Biscuits 150 g", "35", "Chocolate biscuits with a rich chocolate cream filling.", ""),
        ("Sunfeast", "Sunfeast Dark Fantasy Choco Fills 75 g", "40", "Cookies with a molten chocolate centre.", ""),
        ("Haldiram's", "Haldiram's Aloo Bhujia 400 g", "110", "Crispy potato and besan sev with a spicy kick.", ""),
        ("Haldiram's", "Haldiram's Moong Dal Namkeen 200 g", "60", "Fried salted moong dal, a light crunchy snack.", ""),
        ("Haldiram's", "Haldiram's Navrattan Mixture 400 g", "110", "Nine-ingredient namkeen mix of sev, nuts and dal.", ""),
        ("Haldiram's", "Haldiram's Khatta Meetha 400 g", "105", "Sweet, sour and spicy namkeen mix.", ""),
        ("Haldiram's", "Haldiram's Soan Papdi 250 g", "80", "Flaky cardamom-flavoured sweet.", ""),
        ("Haldiram's", "Haldiram's Rasgulla 1 kg", "220", "Soft, spongy rasgullas in light sugar syrup.", ""),
        ("Bikaji", "Bikaji Bikaneri Bhujia 400 g", "105", "Authentic Bikaneri moth bean bhujia.", ""),
        ("Chitale Bandhu", "Chitale Bandhu Bakarwadi 250 g", "110", "Crisp Pune-style spiral snack with a sweet-spicy filling.", "mum"),
        ("Lay's", "Lay's India's Magic Masala Potato Chips 52 g", "20", "Potato chips with a tangy, spicy masala.", ""),
        ("Lay's", "Lay's American Style Cream & Onion 82 g", "50", "Potato chips with cream and onion flavour.", ""),
        ("Kurkure", "Kurkure Masala Munch 82 g", "20", "Crunchy corn puffs with a desi masala.", ""),
        ("Bingo", "Bingo Mad Angles Achaari Masti 66 g", "20", "Triangle chips with a tangy achaari flavour.", ""),
        ("Uncle Chipps", "Uncle Chipps Spicy Treat 55 g", "20", "Classic thick-cut spicy potato chips.", ""),
        ("Pringles", "Pringles The Original 107 g", "120", "Stackable potato crisps with a light salted taste, imported.", "upc"),
        ("Cadbury", "Cadbury Dairy Milk Silk 60 g", "90", "Smooth, creamy milk chocolate bar.", ""),
        ("Cadbury", "Cadbury Dairy Milk Chocolate 13.2 g", "10", "The classic Dairy Milk in an impulse pack.", "ean8"),
        ("Cadbury", "Cadbury 5 Star Chocolate Bar 22 g", "10", "Chewy caramel and nougat bar covered in chocolate.", "ean8"),
        ("Nestle", "Nestle KitKat 4 Finger 37.3 g", "30", "Crisp wafer fingers covered in milk chocolate.", ""),
        ("Hershey's", "Hershey's Kisses Milk Chocolate 100.8 g", "199", "Bite-sized milk chocolate kisses, imported.", "upc"),
        ("Nutella", "Nutella Hazelnut Spread with Cocoa 350 g", "380", "Creamy hazelnut and cocoa spread for toast and desserts.", ""),
        ("Skippy", "Skippy Creamy Peanut Butter 340 g", "499", "Smooth American peanut butter, imported.", "upc"),
        ("Kissan", "Kissan Mixed Fruit Jam 500 g", "175", "Jam made with eight real fruits.", ""),
        ("Kissan", "Kissan Fresh Tomato Ketchup 950 g", "145", "Ketchup made from 100% real tomatoes.", ""),
        ("Maggi", "Maggi Rich Tomato Ketchup 1 kg", "150", "Thick tomato ketchup with a rich taste.", ""),
        ("Heinz", "Heinz Tomato Ketchup 567 g", "250", "Classic thick American tomato ketchup, imported.", "upc"),
        ("Tabasco", "Tabasco Original Red Pepper Sauce 60 ml", "275", "Aged red pepper hot sauce from Louisiana, imported.", "upc"),
        ("Ching's Secret", "Ching's Secret Schezwan Chutney 250 g", "99", "Fiery Desi Chinese Schezwan chutney for dips and fried rice.", ""),
        ("Kellogg's", "Kellogg's Corn Flakes Original 475 g", "200", "Crunchy golden corn flakes with iron and vitamins.", ""),
        ("Kellogg's", "Kellogg's Chocos 375 g", "210", "Chocolate-coated wheat scoops kids love.", ""),
        ("Saffola", "Saffola Masala Oats Classic Masala 500 g", "199", "Savoury rolled oats cooked with Indian masala in minutes.", ""),
        ("Quaker", "Quaker Oats 1 kg", "199", "100% whole grain rolled oats for porridge and upma.", ""),
        ("Mother's Recipe", "Mother's Recipe Mango Pickle 500 g", "150", "Home-style spicy raw mango pickle in oil.", ""),
        ("Priya", "Priya Avakaya Mango Pickle 300 g", "120", "Andhra-style fiery avakaya pickle.", "blr"),
        ("Dabur", "Dabur Honey 500 g", "245", "100% pure honey, tested for purity.", ""),
    ],
    "Frozen & Instant Food": [
        ("Maggi", "Maggi 2-Minute Masala Noodles 70 g", "14", "India's favourite instant masala noodles.", ""),
        ("Maggi", "Maggi 2-Minute Masala Noodles 840 g (Pack of 12)", "168", "Value pack of twelve Maggi masala noodle cakes.", ""),
        ("Sunfeast", "Sunfeast YiPPee! Magic Masala Noodles 70 g", "15", "Long, non-sticky instant noodles with magic masala.", ""),
        ("Ching's Secret", "Ching's Secret Hakka Noodles 150 g", "45", "Egg-free Hakka noodles for Desi Chinese chow mein.", ""),
        ("Nissin", "Nissin Cup Noodles Mazedaar Masala 70 g", "50", "Ready-in-3-minutes cup noodles with masala.", ""),
        ("Knorr", "Knorr Classic Thick Tomato Soup 53 g", "65", "Instant tomato soup, serves four.", ""),
        ("MTR", "MTR Ready to Eat Rajma Masala 300 g", "110", "Heat-and-eat Punjabi rajma, no preservatives.", ""),
        ("MTR", "MTR Ready to Eat Dal Makhani 300 g", "110", "Creamy dal makhani ready in two minutes.", ""),
        ("MTR", "MTR Rava Idli Breakfast Mix 500 g", "140", "Instant mix for soft Bengaluru-style rava idli.", ""),
        ("Gits", "Gits Gulab Jamun Mix 200 g", "115", "Easy mix for soft, melt-in-mouth gulab jamuns.", ""),
        ("iD", "iD Idly & Dosa Batter 1 kg", "85", "Fresh fermented batter for idlis and dosas.", "cold blr"),
        ("McCain", "McCain Smiles 415 g", "149", "Fun smiley-shaped frozen potato snacks.", "frz"),
        ("McCain", "McCain French Fries 420 g", "125", "Crispy frozen fries, ready in minutes.", "frz"),
        ("Safal", "Safal Frozen Green Peas 500 g", "110", "Farm-fresh green peas frozen to lock in taste.", "frz"),
        ("Sumeru", "Sumeru Malabar Parotta (Pack of 5)", "90", "Flaky frozen Kerala parottas, heat and serve.", "frz"),
        ("Godrej Yummiez", "Godrej Yummiez Chicken Nuggets 400 g", "295", "Crispy breaded chicken nuggets, frozen.", "frz"),
        ("Kwality Wall's", "Kwality Wall's Cornetto Double Chocolate 105 ml", "50", "Chocolate ice cream cone with a chocolate tip.", "frz"),
        ("Amul", "Amul Vanilla Magic Ice Cream 1 l", "200", "Creamy vanilla ice cream tub made from real milk.", "frz"),
    ],
    "Beverages": [
        ("Tata Tea", "Tata Tea Premium 500 g", "280", "Strong blended CTC tea for a refreshing cup.", ""),
        ("Tata Tea", "Tata Tea Gold 500 g", "330", "CTC tea with 15% long leaves for aroma.", ""),
        ("Brooke Bond", "Brooke Bond Red Label Tea 500 g", "280", "Strong, flavourful CTC tea blend.", ""),
        ("Taj Mahal", "Taj Mahal Tea 250 g", "190", "Premium Assam tea with a rich aroma.", ""),
        ("Wagh Bakri", "Wagh Bakri Premium Leaf Tea 500 g", "270", "Gujarat's favourite strong premium leaf tea.", "mum"),
        ("Nescafe", "Nescafe Classic Instant Coffee 100 g", "330", "100% pure instant coffee with a rich aroma.", ""),
        ("Bru", "Bru Instant Coffee 100 g", "240", "Coffee and chicory blend for a frothy cup.", ""),
        ("Cothas Coffee", "Cothas Coffee Filter Coffee Powder 500 g", "280", "Bengaluru filter coffee with 20% chicory.", "blr"),
        ("Horlicks", "Horlicks Classic Malt 500 g", "265", "Malted health drink with 23 vital nutrients.", ""),
        ("Cadbury", "Cadbury Bournvita Health Drink 500 g", "249", "Chocolate malt drink with vitamin D for strength.", ""),
        ("Boost", "Boost Health Drink 450 g", "265", "Chocolate malt energy drink for stamina.", ""),
        ("Coca-Cola", "Coca-Cola Soft Drink 750 ml", "40", "The original cola, best served chilled.", ""),
        ("Coca-Cola", "Coca-Cola Soft Drink 2.25 l", "100", "Party-size bottle of classic Coca-Cola.", ""),
        ("Thums Up", "Thums Up Soft Drink 750 ml", "40", "Strong, fizzy cola with a bold taste.", ""),
        ("Sprite", "Sprite Lime Flavoured Soft Drink 750 ml", "40", "Clear lemon-lime soft drink.", ""),
        ("Pepsi", "Pepsi Soft Drink 2.25 l", "100", "Refreshing cola in a party-size bottle.", ""),
        ("Frooti", "Frooti Mango Drink 600 ml", "35", "Fresh and juicy Totapuri mango drink.", ""),
        ("Maaza", "Maaza Mango Drink 1.2 l", "70", "Thick mango drink made from Alphonso and Totapuri pulp.", ""),
        ("Real", "Real Fruit Power Mixed Fruit Juice 1 l", "125", "Juice of nine fruits with no added preservatives.", ""),
        ("Tropicana", "Tropicana 100% Orange Juice 1 l", "135", "100% orange juice with no added sugar.", ""),
        ("Paper Boat", "Paper Boat Aamras 200 ml", "30", "Thick Alphonso mango drink, just like at home.", ""),
        ("Bisleri", "Bisleri Packaged Drinking Water 1 l", "20", "Purified drinking water with added minerals.", "ean8"),
        ("Kinley", "Kinley Packaged Drinking Water 2 l", "30", "Safe packaged drinking water with added minerals.", ""),
        ("Ocean Spray", "Ocean Spray Cranberry Juice Cocktail 1 l", "325", "Tangy cranberry juice drink, imported.", "upc"),
        ("Amul", "Amul Kool Kesar Flavoured Milk 180 ml", "25", "Saffron and cardamom flavoured milk.", ""),
        ("Glucon-D", "Glucon-D Instant Energy Orange 500 g", "135", "Glucose drink powder for instant energy.", ""),
        ("Tang", "Tang Orange Instant Drink Mix 500 g", "150", "Orange-flavoured drink mix with vitamin C.", ""),
    ],
    "Personal Care": [
        ("Colgate", "Colgate Strong Teeth Toothpaste 200 g", "118", "Calcium-boost toothpaste for strong teeth.", ""),
        ("Colgate", "Colgate MaxFresh Blue Gel Toothpaste 150 g", "110", "Gel toothpaste with cooling crystals for fresh breath.", ""),
        ("Colgate", "Colgate ZigZag Medium Toothbrush (Pack of 4)", "120", "Toothbrushes with zigzag bristles that clean between teeth.", ""),
        ("Pepsodent", "Pepsodent Germicheck Toothpaste 150 g", "95", "Toothpaste with germ protection for the family.", ""),
        ("Closeup", "Closeup Red Hot Gel Toothpaste 150 g", "100", "Red gel toothpaste for fresh breath confidence.", ""),
        ("Sensodyne", "Sensodyne Fresh Mint Toothpaste 70 g", "145", "Toothpaste for relief from tooth sensitivity.", ""),
        ("Dabur", "Dabur Red Paste 200 g", "120", "Ayurvedic toothpaste with clove, ginger and black pepper.", ""),
        ("Dabur", "Dabur Amla Hair Oil 450 ml", "250", "Amla-enriched hair oil for strong, dark hair.", ""),
        ("Parachute", "Parachute 100% Pure Coconut Oil 500 ml", "210", "Pure coconut oil for hair and skin.", ""),
        ("Clinic Plus", "Clinic Plus Strong & Long Shampoo 340 ml", "210", "Milk-protein shampoo for strong, long hair.", ""),
        ("Head & Shoulders", "Head & Shoulders Anti-Dandruff Shampoo 340 ml", "399", "Shampoo that removes up to 100% of visible dandruff.", ""),
        ("Dove", "Dove Cream Beauty Bathing Bar (Pack of 3)", "180", "Gentle bathing bar with one-quarter moisturising cream.", ""),
        ("Lux", "Lux Soft Glow Rose & Vitamin E Soap 150 g", "48", "Fragrant beauty soap with rose and vitamin E.", ""),
        ("Dettol", "Dettol Original Germ Protection Soap 125 g", "50", "Bathing soap with trusted germ protection.", ""),
        ("Lifebuoy", "Lifebuoy Total 10 Germ Protection Soap 125 g", "38", "Soap that protects against 10 infection-causing germs.", ""),
        ("Santoor", "Santoor Sandal & Turmeric Soap 125 g", "42", "Sandal and turmeric soap for youthful skin.", ""),
        ("Medimix", "Medimix Ayurvedic Classic 18 Herbs Soap 125 g", "50", "Ayurvedic soap with 18 herbs for clear skin.", ""),
        ("Cinthol", "Cinthol Original Soap 100 g", "42", "Classic deodorant soap with a long-lasting fragrance.", ""),
        ("Himalaya", "Himalaya Purifying Neem Face Wash 150 ml", "210", "Soap-free neem and turmeric face wash for pimple-prone skin.", ""),
        ("Nivea", "Nivea Soft Light Moisturising Cream 100 ml", "250", "Light, non-greasy cream with jojoba oil and vitamin E.", ""),
        ("Nivea", "Nivea Men Fresh Active Deodorant 150 ml", "260", "Long-lasting deodorant spray with an ocean fragrance.", ""),
        ("Vaseline", "Vaseline Intensive Care Deep Restore Body Lotion 400 ml", "399", "Body lotion that heals dry skin in a week.", ""),
        ("Pond's", "Pond's Dreamflower Fragrant Talc 400 g", "245", "Talc with a fresh pink lily and rose fragrance.", ""),
        ("Boroplus", "Boroplus Antiseptic Cream 80 ml", "125", "Ayurvedic antiseptic cream for dry skin, cuts and cracks.", ""),
        ("Vicks", "Vicks VapoRub 50 ml", "150", "Balm for relief from cold, cough and blocked nose.", ""),
        ("Listerine", "Listerine Cool Mint Mouthwash 250 ml", "175", "Antiseptic mouthwash that kills 99.9% of germs.", ""),
        ("Gillette", "Gillette Guard Razor 1 pc", "30", "Single-blade razor with a safety comb.", "ean8"),
        ("Whisper", "Whisper Ultra Clean XL+ Sanitary Pads (Pack of 30)", "365", "Extra-long sanitary pads with wings for up to 8 hours of protection.", ""),
        ("Stayfree", "Stayfree Secure XL Sanitary Pads (Pack of 20)", "145", "Cottony-soft pads with wings for all-day comfort.", ""),
    ],
    "Household Care": [
        ("Surf Excel", "Surf Excel Easy Wash Detergent Powder 1 kg", "140", "Detergent powder that removes tough stains easily.", ""),
        ("Surf Excel", "Surf Excel Matic Top Load Liquid Detergent 1 l", "255", "Liquid detergent made for top-load washing machines.", ""),
        ("Ariel", "Ariel Matic Front Load Detergent Powder 2 kg", "620", "Low-foam detergent powder for front-load machines.", ""),
        ("Tide", "Tide Plus Extra Power Jasmine & Rose Detergent Powder 1 kg", "120", "Detergent powder with jasmine and rose fragrance.", ""),
        ("Rin", "Rin Detergent Bar 250 g", "25", "Detergent bar for bright, white clothes.", "ean8"),
        ("Wheel", "Wheel Active 2 in 1 Detergent Powder 1 kg", "65", "Detergent powder with lemon and jasmine fragrance.", ""),
        ("Ghadi", "Ghadi Detergent Powder 1 kg", "60", "Value detergent powder for everyday washing.", ""),
        ("Comfort", "Comfort After Wash Fabric Conditioner 860 ml", "245", "Fabric conditioner that keeps clothes soft and fragrant.", ""),
        ("Ujala", "Ujala Supreme Liquid Fabric Whitener 250 ml", "60", "Fabric whitener for sparkling white clothes.", ""),
        ("Vim", "Vim Dishwash Bar 200 g", "20", "Lemon dishwash bar that cuts grease.", "ean8"),
        ("Vim", "Vim Dishwash Liquid Gel Lemon 500 ml", "115", "Concentrated lemon gel for greasy utensils.", ""),
        ("Pril", "Pril Lime Dishwash Liquid 425 ml", "99", "Dishwash liquid with the power of lime.", ""),
        ("Lizol", "Lizol Disinfectant Floor Cleaner Citrus 975 ml", "219", "Floor cleaner that kills 99.9% of germs.", ""),
        ("Harpic", "Harpic Power Plus Toilet Cleaner Original 1 l", "199", "Thick liquid toilet cleaner that removes tough stains.", ""),
        ("Domex", "Domex Disinfectant Toilet Cleaner 500 ml", "99", "Thick bleach toilet cleaner that kills germs.", ""),
        ("Colin", "Colin Glass & Surface Cleaner 500 ml", "115", "Streak-free shine for glass and surfaces.", ""),
        ("Good Knight", "Good Knight Gold Flash Liquid Vaporiser Refill 45 ml", "85", "Mosquito repellent refill with a fast-acting formula.", ""),
        ("All Out", "All Out Ultra Liquid Vaporiser Refill 45 ml", "80", "Mosquito repellent refill, lasts 45 nights.", ""),
        ("HIT", "HIT Crawling Insect Killer Spray 400 ml", "250", "Spray that kills cockroaches and ants.", ""),
        ("Odonil", "Odonil Air Freshener Block Lavender 50 g", "55", "Bathroom air freshener block with lavender fragrance.", ""),
        ("Scotch-Brite", "Scotch-Brite Scrub Pad (Pack of 3)", "60", "Tough scrub pads for pots and pans.", ""),
        ("Shalimar", "Shalimar Premium Garbage Bags Medium (Pack of 30)", "110", "Leak-proof medium garbage bags, 19 x 21 inches.", ""),
        ("Cycle", "Cycle Three in One Agarbathi 120 g", "90", "Incense sticks in three fragrances for daily pooja.", ""),
        ("Duracell", "Duracell AA Alkaline Batteries (Pack of 4)", "199", "Long-lasting AA alkaline batteries, imported.", "upc"),
        ("Exo", "Exo Anti-Bacterial Dishwash Bar 500 g", "50", "Dishwash bar with ginger and lemon.", ""),
    ],
    "Baby Care": [
        ("Pampers", "Pampers Baby-Dry Pants Medium (Pack of 56)", "1299", "Diaper pants with up to 12 hours of dryness.", ""),
        ("Huggies", "Huggies Wonder Pants Large (Pack of 42)", "899", "Diaper pants with bubble-bed softness.", ""),
        ("MamyPoko", "MamyPoko Pants Extra Absorb Small (Pack of 46)", "699", "Diaper pants with crisscross absorbent sheet.", ""),
        ("Johnson's", "Johnson's Baby Powder 200 g", "185", "Clinically proven mild baby powder.", ""),
        ("Johnson's", "Johnson's Baby Shampoo 200 ml", "199", "No more tears baby shampoo.", ""),
        ("Himalaya", "Himalaya Gentle Baby Wash 200 ml", "175", "Tear-free baby wash with chickpea and fenugreek.", ""),
        ("Himalaya", "Himalaya Baby Lotion 200 ml", "210", "Baby lotion with olive oil and almond oil.", ""),
        ("Nestle", "Nestle Cerelac Wheat Apple Cherry 300 g", "299", "Infant cereal with wheat and fruits, from 8 months.", ""),
        ("Nestle", "Nestle Lactogen 1 Infant Formula 400 g", "475", "Infant formula powder up to 6 months.", ""),
        ("Dabur", "Dabur Lal Tail Ayurvedic Baby Massage Oil 200 ml", "200", "Ayurvedic massage oil for stronger bones and muscles.", ""),
        ("Mee Mee", "Mee Mee Caring Baby Wet Wipes (Pack of 72)", "199", "Soft, alcohol-free wet wipes with aloe vera.", ""),
        ("Sebamed", "Sebamed Baby Cream Extra Soft 50 ml", "325", "pH 5.5 baby cream for delicate skin.", ""),
    ],
}

# Stores as locations: (location_id, type, name, address).
LOCATIONS = [
    ("store-blr-001", "store", "Kirana Mart Indiranagar", "12 100 Feet Road, Indiranagar, Bengaluru 560038"),
    ("store-mum-002", "store", "Kirana Mart Andheri West", "4 Link Road, Andheri West, Mumbai 400053"),
    ("store-del-003", "store", "Kirana Mart Lajpat Nagar", "22 Ring Road, Lajpat Nagar II, New Delhi 110024"),
]
# Stores: (store_id, number of catalog products it stocks, stock-level scale factor).
STORES = [
    ("store-blr-001", 110, 1.0),
    ("store-mum-002", 80, 0.9),
    ("store-del-003", 60, 0.8),
]
REGION_STORE = {"blr": "store-blr-001", "mum": "store-mum-002", "del": "store-del-003"}
OUT_OF_STOCK_SHARE = 0.10
LOW_STOCK_SHARE = 0.12

# Typical (min, max) of max_stock_level per category, before the store scale factor.
MAX_STOCK_RANGE = {
    "Staples": (60, 150),
    "Rice & Pulses": (40, 120),
    "Oils & Ghee": (30, 90),
    "Spices & Masalas": (30, 80),
    "Dairy & Bakery": (40, 120),
    "Fruits & Vegetables": (30, 100),
    "Snacks & Branded Foods": (50, 200),
    "Frozen & Instant Food": (24, 80),
    "Beverages": (48, 180),
    "Personal Care": (20, 80),
    "Household Care": (20, 80),
    "Baby Care": (10, 40),
}
# Aisle letter for shelf-stable goods of each category ("A1-03" = aisle A, rack 1, bin 03).
AISLE = {
    "Staples": "A",
    "Rice & Pulses": "B",
    "Oils & Ghee": "C",
    "Spices & Masalas": "D",
    "Snacks & Branded Foods": "E",
    "Beverages": "F",
    "Personal Care": "G",
    "Household Care": "H",
    "Baby Care": "J",
    "Dairy & Bakery": "K",
    "Frozen & Instant Food": "L",
}

PACK_SIZE = re.compile(r"(\d+(?:\.\d+)?) (kg|g|l|ml|dozen|pc|pcs)$")


def gs1_check_digit(body: str) -> int:
    """GS1 mod-10: weights 3 and 1 alternate from the rightmost digit of the body."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def with_check(body: str) -> str:
    return body + str(gs1_check_digit(body))


def unit_of(name: str) -> str:
    """The unit the pack is sold in: multi-packs -> pack, single items -> piece,
    otherwise the measure of the pack size in the name (kg, g, l, ml, dozen)."""
    if "(Pack of " in name:
        return "pack"
    match = PACK_SIZE.search(name)
    if not match:
        raise ValueError(f"no pack size in {name!r}")
    unit = match.group(2)
    return "piece" if unit in ("pc", "pcs") else unit


def money(value: Decimal) -> str:
    return str(value.quantize(PAISE, rounding=ROUND_HALF_UP))


class BarcodeFactory:
    """Hands out unique barcodes; EAN-13 company prefixes and UPC-A manufacturer codes are fixed per brand."""

    def __init__(self, rng: random.Random, brand_sizes: dict[str, int]):
        self.rng = rng
        self.seen: set[str] = set()
        self.ean_prefix: dict[str, str] = {}
        self.upc_prefix: dict[str, str] = {}
        self.next_item: dict[str, int] = {}
        used_codes: set[str] = set()
        for brand in sorted(brand_sizes):
            # Brands with many products get a short (4-digit) company code and so a 5-digit item
            # range; the rest get 5-digit codes. 4-digit codes start 1-2 and 5-digit codes 3-9,
            # so no company prefix is a prefix of another.
            while True:
                if brand_sizes[brand] >= 4:
                    code = str(rng.randint(1000, 2999))
                else:
                    code = str(rng.randint(30000, 99999))
                if code not in used_codes:
                    used_codes.add(code)
                    break
            self.ean_prefix[brand] = "890" + code

    def ean13(self, brand: str) -> str:
        prefix = self.ean_prefix[brand]
        item_len = 12 - len(prefix)
        if brand not in self.next_item:
            self.next_item[brand] = self.rng.randint(10, 10 ** (item_len - 1))
        self.next_item[brand] += self.rng.randint(1, 40)
        return self._unique(with_check(prefix + str(self.next_item[brand]).zfill(item_len)))

    def ean8(self) -> str:
        while True:
            code = with_check("890" + str(self.rng.randint(0, 9999)).zfill(4))
            if code not in self.seen:
                return self._unique(code)

    def upca(self, brand: str) -> str:
        if brand not in self.upc_prefix:
            self.upc_prefix[brand] = "0" + str(self.rng.randint(10000, 99999))
        while True:
            code = with_check(self.upc_prefix[brand] + str(self.rng.randint(0, 99999)).zfill(5))
            if code not in self.seen:
                return self._unique(code)

    def _unique(self, code: str) -> str:
        if code in self.seen:
            raise ValueError(f"duplicate barcode {code}")
        self.seen.add(code)
        return code


def build_catalog(rng: random.Random) -> tuple[list[dict], dict[str, dict]]:
    """Returns the catalog and, per product_id, the generator-only facts (flags) used for inventory."""
    brand_sizes: dict[str, int] = {}
    for rows in PRODUCTS.values():
        for brand, *_ in rows:
            brand_sizes[brand] = brand_sizes.get(brand, 0) + 1
    barcodes = BarcodeFactory(rng, brand_sizes)

    catalog: list[dict] = []
    facts: dict[str, dict] = {}
    for category in CATEGORIES:
        for brand, name, mrp, description, flags in PRODUCTS[category]:
            flag_set = set(flags.split())
            product_id = f"prd-{len(catalog) + 1:04d}"
            if "ean8" in flag_set:
                barcode = barcodes.ean8()
            elif "upc" in flag_set:
                barcode = barcodes.upca(brand)
            else:
                barcode = barcodes.ean13(brand)
            catalog.append(
                {
                    "product_id": product_id,
                    "name": name,
                    "brand": brand,
                    "barcode": barcode,
                    "mrp": money(Decimal(mrp)),
                    "category": category,
                    "unit": unit_of(name),
                    "description": description,
                    "image_url": f"{IMAGE_BASE}/{product_id}.jpg",
                }
            )
            region = next((REGION_STORE[f] for f in ("blr", "mum", "del") if f in flag_set), None)
            storage = "cold" if "cold" in flag_set else "frz" if "frz" in flag_set else "shelf"
            facts[product_id] = {"region_store": region, "storage": storage}
    return catalog, facts


def selling_price_for(rng: random.Random, mrp: Decimal) -> Decimal:
    """At MRP for cheap items and about half of the rest; otherwise 1-8% off, rounded down to a rupee."""
    if mrp <= 20 or rng.random() < 0.45:
        return mrp
    discounted = mrp * (1 - Decimal(rng.randint(1, 8)) / 100)
    return min(mrp, discounted.quantize(Decimal("1"), rounding=ROUND_DOWN))


def cost_price_for(rng: random.Random, selling: Decimal) -> Decimal:
    """A retailer margin of 8.5-24.5% of the selling price (inside 8-25% after rounding to paise)."""
    margin = Decimal(rng.randint(85, 245)) / 1000
    return (selling * (1 - margin)).quantize(PAISE, rounding=ROUND_HALF_UP)


def stock_levels(rng: random.Random, category: str, mrp: Decimal, scale: float) -> tuple[int, int, int]:
    low, high = MAX_STOCK_RANGE[category]
    max_level = rng.randint(low, high) * scale
    if mrp >= 500:  # expensive packs: keep fewer on hand
        max_level /= 2
    max_level = max(12, round(max_level))
    min_level = max(2, round(max_level * rng.uniform(0.08, 0.15)))
    reorder = max(min_level + 2, round(max_level * rng.uniform(0.25, 0.35)))
    return min_level, reorder, max_level


def build_inventory(rng: random.Random, catalog: list[dict], facts: dict[str, dict]) -> list[dict]:
    by_id = {p["product_id"]: p for p in catalog}
    national = [p["product_id"] for p in catalog if facts[p["product_id"]]["region_store"] is None]
    rows: list[dict] = []
    for store_id, count, scale in STORES:
        regional = [pid for pid, f in facts.items() if f["region_store"] == store_id]
        chosen = sorted(regional + rng.sample(national, count - len(regional)))

        # Assign stock status per store so every store has its share of out-of-stock and low rows.
        n_out = round(count * OUT_OF_STOCK_SHARE)
        n_low = round(count * LOW_STOCK_SHARE)
        shuffled = chosen[:]
        rng.shuffle(shuffled)
        status = {pid: "out" for pid in shuffled[:n_out]}
        status.update({pid: "low" for pid in shuffled[n_out : n_out + n_low]})

        # Shelf positions: numbered in product order within each aisle / chiller / freezer.
        position: dict[str, int] = {}
        locations: dict[str, str] = {}
        for pid in chosen:
            product = by_id[pid]
            storage = facts[pid]["storage"]
            if storage == "cold":
                zone = "COLD"
            elif storage == "frz":
                zone = "FRZ"
            elif product["category"] == "Fruits & Vegetables":
                zone = "FV"
            else:
                zone = AISLE[product["category"]]
            i = position.get(zone, 0)
            position[zone] = i + 1
            if zone in ("COLD", "FRZ", "FV"):
                locations[pid] = f"{zone}-{i // 6 + 1}"  # six products per chiller / freezer / produce crate stand
            else:
                locations[pid] = f"{zone}{i // 10 + 1}-{i % 10 + 1:02d}"  # ten bins per rack

        for pid in chosen:
            product = by_id[pid]
            mrp = Decimal(product["mrp"])
            selling = selling_price_for(rng, mrp)
            cost = cost_price_for(rng, selling)
            min_level, reorder, max_level = stock_levels(rng, product["category"], mrp, scale)
            state = status.get(pid, "ok")
            if state == "out":
                current = 0
            elif state == "low":
                current = rng.randint(1, reorder)
            else:
                current = rng.randint(reorder + 1, max_level)
            rows.append(
                {
                    "store_id": store_id,
                    "product_id": pid,
                    "current_stock": current,
                    "selling_price": money(selling),
                    "cost_price": money(cost),
                    "min_stock_level": min_level,
                    "reorder_point": reorder,
                    "max_stock_level": max_level,
                    "location": locations[pid],
                }
            )
    return rows


CATALOG_COLUMNS = ["product_id", "name", "brand", "barcode", "mrp", "category", "unit", "description", "image_url"]
INVENTORY_COLUMNS = [
    "store_id", "product_id", "current_stock", "selling_price", "cost_price",
    "min_stock_level", "reorder_point", "max_stock_level", "reorder_quantity", "lead_time_days", "location",
]
LOCATION_COLUMNS = ["location_id", "location_type", "name", "address"]


def write_csv(path: Path, columns: list[str], rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c, "") for c in columns})


def main() -> None:
    rng = random.Random(SEED)
    catalog, facts = build_catalog(rng)
    inventory = build_inventory(rng, catalog, facts)
    locations = [dict(zip(LOCATION_COLUMNS, loc)) for loc in LOCATIONS]
    write_csv(OUT_DIR / "locations.csv", LOCATION_COLUMNS, locations)
    write_csv(OUT_DIR / "catalog.csv", CATALOG_COLUMNS, catalog)
    write_csv(OUT_DIR / "inventory.csv", INVENTORY_COLUMNS, inventory)
    print(f"wrote {len(locations)} locations to {OUT_DIR / 'locations.csv'}")
    print(f"wrote {len(catalog)} products to {OUT_DIR / 'catalog.csv'}")
    print(f"wrote {len(inventory)} inventory rows to {OUT_DIR / 'inventory.csv'}")


if __name__ == "__main__":
    main()
